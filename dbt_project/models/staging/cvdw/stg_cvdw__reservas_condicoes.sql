with

source as (

    {{ cvdw_source('reservas_condicoes') }}

),

renamed as (

    select
        conta,
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

    select distinct on (conta, idcondicao) *
    from renamed
    where idcondicao is not null
    order by conta, idcondicao, {{ cvdw_newest_first() }}

)

select * from final
