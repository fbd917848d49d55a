with

source as (

    select * from {{ source('cvdw', 'reservas_condicoes') }}

),

renamed as (

    select
        idreservascondicoes as idcondicao,
        idreserva,
        idserie,
        {{ cvdw_text('serie') }} as serie,
        parcela_quantidade::integer as parcela_quantidade,
        {{ cvdw_number('valor') }} as valor,
        {{ cvdw_number('valor_com_juros') }} as valor_com_juros,
        {{ cvdw_number('valor_sem_comissao') }} as valor_sem_comissao,
        {{ cvdw_date('vencimento') }} as vencimento,
        {{ cvdw_text('portador') }} as portador,
        {{ cvdw_text('indexador') }} as indexador,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (idcondicao) *
    from renamed
    where idcondicao is not null
    order by idcondicao, {{ cvdw_newest_first() }}

)

select * from final
