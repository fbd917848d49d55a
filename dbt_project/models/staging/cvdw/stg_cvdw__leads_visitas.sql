-- One row per visit of a lead (`idtarefa`). A visit is done when it has a `data_conclusao`,
-- whatever its situation says.
with

source as (

    {{ cvdw_source('leads_visitas') }}

),

renamed as (

    select
        conta,
        idtarefa,
        idinteracao,
        {{ cvdw_id('idlead') }} as idlead,
        {{ cvdw_text('situacao') }} as situacao,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_timestamp('data') }} as data_agendada,
        {{ cvdw_timestamp('data_conclusao') }} as data_conclusao,
        idtipo_visita,
        {{ cvdw_text('nome_tipo_visita') }} as tipo_visita,
        {{ cvdw_bool('visita_virtual') }} as is_virtual,
        idresponsavel,
        {{ cvdw_text('responsavel') }} as responsavel,
        {{ cvdw_text('tipo_responsavel') }} as tipo_responsavel,
        idempreendimento,
        {{ cvdw_text('nome_empreendimento') }} as empreendimento,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idtarefa)
        *,
        data_conclusao is not null as is_realizada
    from renamed
    where idtarefa is not null
    order by conta, idtarefa, {{ cvdw_newest_first() }}

)

select * from final
