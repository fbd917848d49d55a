with

source as (

    {{ cvdw_source('reservas') }}

),

renamed as (

    select
        conta,
        idreserva,
        {{ cvdw_text('codigointerno') }} as codigo_interno,
        {{ cvdw_text('numero_venda') }} as numero_venda,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        {{ cvdw_text('etapa') }} as etapa,
        {{ cvdw_text('bloco') }} as bloco,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        {{ cvdw_text('regiao') }} as regiao,
        idcliente,
        idcorretor,
        {{ cvdw_text('corretor') }} as corretor,
        idimobiliaria,
        {{ cvdw_text('imobiliaria') }} as imobiliaria,
        {{ cvdw_text('idlead') }} as idlead,
        idsituacao,
        {{ cvdw_text('situacao') }} as situacao,
        {{ cvdw_text('situacao_comercial') }} as situacao_comercial,
        {{ cvdw_text('situacao_anterior') }} as situacao_anterior,
        {{ cvdw_bool('aprovada') }} as is_aprovada,
        {{ cvdw_bool('venda') }} as is_venda,
        {{ cvdw_bool('cessao') }} as is_cessao,
        {{ cvdw_text('tipovenda') }} as tipo_venda,
        {{ cvdw_text('midia') }} as midia,
        {{ cvdw_text('campanha') }} as campanha,
        {{ cvdw_text('nometabela') }} as tabela,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_timestamp('data_venda') }} as data_venda,
        {{ cvdw_date('data_contrato') }} as data_contrato,
        {{ cvdw_timestamp('data_aprovacao') }} as data_aprovacao,
        {{ cvdw_timestamp('data_cancelamento') }} as data_cancelamento,
        {{ cvdw_text('motivo_cancelamento') }} as motivo_cancelamento,
        {{ cvdw_number('valor_contrato') }} as valor_contrato,
        {{ cvdw_number('valor_contrato_com_juros') }} as valor_contrato_com_juros,
        {{ cvdw_number('valor_proposta') }} as valor_proposta,
        {{ cvdw_number('vpl_reserva') }} as vpl_reserva,
        {{ cvdw_number('vgv_tabela') }} as vgv_tabela,
        {{ cvdw_number('vpl_tabela') }} as vpl_tabela,
        {{ cvdw_number('valor_financiamento') }} as valor_financiamento,
        {{ cvdw_number('valor_fgts') }} as valor_fgts,
        {{ cvdw_number('valor_subsidio') }} as valor_subsidio,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idreserva) *
    from renamed
    where idreserva is not null
    order by conta, idreserva, {{ cvdw_newest_first() }}

)

select * from final
